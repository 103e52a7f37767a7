export { EmailDeliveriesCard } from './EmailDeliveriesCard';
